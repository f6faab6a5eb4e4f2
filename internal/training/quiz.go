package training

import (
	"bufio"
	"strings"
	"unicode/utf8"

	"vigil/internal/errs"
)

// A quiz is written as plain text, one line each:
//
//	? the question
//	- a wrong choice
//	+ a right choice (two or more "+" make it a multiple-choice question)
//	> why (optional: shown after the answer)
//
// Blank lines and lines starting with "#" are ignored.

// Question is one quiz question.
type Question struct {
	Text    string   `json:"text"`
	Choices []string `json:"choices"`
	Right   []int    `json:"right"` // indexes into Choices
	Why     string   `json:"why,omitempty"`
}

// Multi reports whether more than one choice is right.
func (q *Question) Multi() bool { return len(q.Right) > 1 }

// Limits of a quiz.
const (
	maxQuestions = 50
	maxChoices   = 8
	maxQuizLine  = 1000
)

// ParseQuiz reads a quiz; a mistake is refused with its line.
func ParseQuiz(text string) ([]Question, error) {
	var qs []Question
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	line := 0
	for sc.Scan() {
		line++
		raw := strings.TrimSpace(sc.Text())
		if raw == "" || strings.HasPrefix(raw, "#") {
			continue
		}
		if !utf8.ValidString(raw) {
			return nil, errs.Invalid("quiz", "line %d is not UTF-8 text", line)
		}
		if utf8.RuneCountInString(raw) > maxQuizLine {
			return nil, errs.Invalid("quiz", "line %d: longer than %d characters", line, maxQuizLine)
		}
		mark, rest := raw[0], strings.TrimSpace(raw[1:])
		switch mark {
		case '?':
			if err := checkLast(qs, line); err != nil {
				return nil, err
			}
			if rest == "" {
				return nil, errs.Invalid("quiz", "line %d: the question has no text", line)
			}
			if len(qs) == maxQuestions {
				return nil, errs.Invalid("quiz", "at most %d questions", maxQuestions)
			}
			qs = append(qs, Question{Text: rest})
		case '-', '+':
			if len(qs) == 0 {
				return nil, errs.Invalid("quiz", "line %d: a choice before any question (start a question with \"?\")", line)
			}
			if rest == "" {
				return nil, errs.Invalid("quiz", "line %d: the choice has no text", line)
			}
			q := &qs[len(qs)-1]
			if len(q.Choices) == maxChoices {
				return nil, errs.Invalid("quiz", "line %d: at most %d choices a question", line, maxChoices)
			}
			if mark == '+' {
				q.Right = append(q.Right, len(q.Choices))
			}
			q.Choices = append(q.Choices, rest)
		case '>':
			if len(qs) == 0 {
				return nil, errs.Invalid("quiz", "line %d: an explanation before any question", line)
			}
			q := &qs[len(qs)-1]
			q.Why = strings.TrimSpace(q.Why + " " + rest)
		default:
			return nil, errs.Invalid("quiz", "line %d: start the line with ? (question), - (wrong choice), + (right choice) or > (explanation)", line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, errs.Invalid("quiz", "line %d: longer than %d characters", line+1, maxQuizLine)
	}
	if err := checkLast(qs, line); err != nil {
		return nil, err
	}
	if len(qs) == 0 {
		return nil, errs.Invalid("quiz", "a lesson ends with a quiz: write at least one question")
	}
	return qs, nil
}

func checkLast(qs []Question, line int) error {
	if len(qs) == 0 {
		return nil
	}
	q := qs[len(qs)-1]
	if len(q.Choices) < 2 {
		return errs.Invalid("quiz", "question %d (before line %d) needs at least two choices", len(qs), line)
	}
	if len(q.Right) == 0 {
		return errs.Invalid("quiz", "question %d (before line %d) has no right choice (mark it with +)", len(qs), line)
	}
	return nil
}

// Grade scores answers (question index → chosen choice indexes) against
// qs: the share of questions answered exactly right, 0 to 100.
func Grade(qs []Question, answers map[int][]int) (score int, right []bool) {
	right = make([]bool, len(qs))
	n := 0
	for i, q := range qs {
		got := map[int]bool{}
		for _, c := range answers[i] {
			if c >= 0 && c < len(q.Choices) {
				got[c] = true
			}
		}
		ok := len(got) == len(q.Right)
		for _, c := range q.Right {
			if !got[c] {
				ok = false
			}
		}
		if ok {
			right[i] = true
			n++
		}
	}
	if len(qs) == 0 {
		return 0, right
	}
	return n * 100 / len(qs), right
}
