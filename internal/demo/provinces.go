package demo

// province is one of the 63 provinces and centrally-run cities (before the
// 2025 merger, as in the directive of early 2024), by its statistical code,
// with a few of its districts. District prefixes: "q " quận, "tp " thành
// phố, "tx " thị xã, "h " huyện.
type province struct {
	Code      string
	Name      string
	City      bool // a centrally-run city ("thành phố")
	Districts []string
}

var provinces = []province{
	{"01", "Hà Nội", true, []string{"q Ba Đình", "q Hoàn Kiếm", "q Cầu Giấy"}},
	{"02", "Hà Giang", false, []string{"tp Hà Giang", "h Đồng Văn"}},
	{"04", "Cao Bằng", false, []string{"tp Cao Bằng", "h Trùng Khánh"}},
	{"06", "Bắc Kạn", false, []string{"tp Bắc Kạn", "h Ba Bể"}},
	{"08", "Tuyên Quang", false, []string{"tp Tuyên Quang", "h Sơn Dương"}},
	{"10", "Lào Cai", false, []string{"tp Lào Cai", "tx Sa Pa"}},
	{"11", "Điện Biên", false, []string{"tp Điện Biên Phủ", "h Mường Nhé"}},
	{"12", "Lai Châu", false, []string{"tp Lai Châu", "h Tam Đường"}},
	{"14", "Sơn La", false, []string{"tp Sơn La", "h Mộc Châu"}},
	{"15", "Yên Bái", false, []string{"tp Yên Bái", "h Mù Cang Chải"}},
	{"17", "Hòa Bình", false, []string{"tp Hòa Bình", "h Mai Châu"}},
	{"19", "Thái Nguyên", false, []string{"tp Thái Nguyên", "h Đại Từ"}},
	{"20", "Lạng Sơn", false, []string{"tp Lạng Sơn", "h Cao Lộc"}},
	{"22", "Quảng Ninh", false, []string{"tp Hạ Long", "tp Móng Cái"}},
	{"24", "Bắc Giang", false, []string{"tp Bắc Giang", "h Lục Ngạn"}},
	{"25", "Phú Thọ", false, []string{"tp Việt Trì", "h Thanh Sơn"}},
	{"26", "Vĩnh Phúc", false, []string{"tp Vĩnh Yên", "h Tam Đảo"}},
	{"27", "Bắc Ninh", false, []string{"tp Bắc Ninh", "tp Từ Sơn"}},
	{"30", "Hải Dương", false, []string{"tp Hải Dương", "tp Chí Linh"}},
	{"31", "Hải Phòng", true, []string{"q Hồng Bàng", "q Lê Chân", "h Thủy Nguyên"}},
	{"33", "Hưng Yên", false, []string{"tp Hưng Yên", "h Văn Lâm"}},
	{"34", "Thái Bình", false, []string{"tp Thái Bình", "h Tiền Hải"}},
	{"35", "Hà Nam", false, []string{"tp Phủ Lý", "tx Kim Bảng"}},
	{"36", "Nam Định", false, []string{"tp Nam Định", "h Hải Hậu"}},
	{"37", "Ninh Bình", false, []string{"tp Ninh Bình", "h Hoa Lư"}},
	{"38", "Thanh Hóa", false, []string{"tp Thanh Hóa", "tp Sầm Sơn"}},
	{"40", "Nghệ An", false, []string{"tp Vinh", "h Diễn Châu"}},
	{"42", "Hà Tĩnh", false, []string{"tp Hà Tĩnh", "tx Kỳ Anh"}},
	{"44", "Quảng Bình", false, []string{"tp Đồng Hới", "h Bố Trạch"}},
	{"45", "Quảng Trị", false, []string{"tp Đông Hà", "h Hải Lăng"}},
	{"46", "Thừa Thiên Huế", false, []string{"tp Huế", "h Phú Vang"}},
	{"48", "Đà Nẵng", true, []string{"q Hải Châu", "q Sơn Trà", "q Liên Chiểu"}},
	{"49", "Quảng Nam", false, []string{"tp Tam Kỳ", "tp Hội An"}},
	{"51", "Quảng Ngãi", false, []string{"tp Quảng Ngãi", "h Lý Sơn"}},
	{"52", "Bình Định", false, []string{"tp Quy Nhơn", "tx An Nhơn"}},
	{"54", "Phú Yên", false, []string{"tp Tuy Hòa", "tx Sông Cầu"}},
	{"56", "Khánh Hòa", false, []string{"tp Nha Trang", "tp Cam Ranh"}},
	{"58", "Ninh Thuận", false, []string{"tp Phan Rang - Tháp Chàm", "h Ninh Hải"}},
	{"60", "Bình Thuận", false, []string{"tp Phan Thiết", "tx La Gi"}},
	{"62", "Kon Tum", false, []string{"tp Kon Tum", "h Đắk Hà"}},
	{"64", "Gia Lai", false, []string{"tp Pleiku", "tx An Khê"}},
	{"66", "Đắk Lắk", false, []string{"tp Buôn Ma Thuột", "h Krông Pắc"}},
	{"67", "Đắk Nông", false, []string{"tp Gia Nghĩa", "h Đắk Mil"}},
	{"68", "Lâm Đồng", false, []string{"tp Đà Lạt", "tp Bảo Lộc"}},
	{"70", "Bình Phước", false, []string{"tp Đồng Xoài", "tx Bình Long"}},
	{"72", "Tây Ninh", false, []string{"tp Tây Ninh", "tx Trảng Bàng"}},
	{"74", "Bình Dương", false, []string{"tp Thủ Dầu Một", "tp Dĩ An"}},
	{"75", "Đồng Nai", false, []string{"tp Biên Hòa", "tp Long Khánh"}},
	{"77", "Bà Rịa - Vũng Tàu", false, []string{"tp Vũng Tàu", "tp Bà Rịa"}},
	{"79", "Hồ Chí Minh", true, []string{"q 1", "tp Thủ Đức", "q Bình Thạnh"}},
	{"80", "Long An", false, []string{"tp Tân An", "h Đức Hòa"}},
	{"82", "Tiền Giang", false, []string{"tp Mỹ Tho", "h Cái Bè"}},
	{"83", "Bến Tre", false, []string{"tp Bến Tre", "h Mỏ Cày Nam"}},
	{"84", "Trà Vinh", false, []string{"tp Trà Vinh", "h Cầu Kè"}},
	{"86", "Vĩnh Long", false, []string{"tp Vĩnh Long", "tx Bình Minh"}},
	{"87", "Đồng Tháp", false, []string{"tp Cao Lãnh", "tp Sa Đéc"}},
	{"89", "An Giang", false, []string{"tp Long Xuyên", "tp Châu Đốc"}},
	{"91", "Kiên Giang", false, []string{"tp Rạch Giá", "tp Phú Quốc"}},
	{"92", "Cần Thơ", true, []string{"q Ninh Kiều", "q Cái Răng"}},
	{"93", "Hậu Giang", false, []string{"tp Vị Thanh", "tp Ngã Bảy"}},
	{"94", "Sóc Trăng", false, []string{"tp Sóc Trăng", "tx Vĩnh Châu"}},
	{"95", "Bạc Liêu", false, []string{"tp Bạc Liêu", "tx Giá Rai"}},
	{"96", "Cà Mau", false, []string{"tp Cà Mau", "h Năm Căn"}},
}

// serviceUnits are units directly under headquarters; the IT Center runs
// the SOC.
var serviceUnits = []struct{ Code, Name, Kind string }{
	{"VP", "Văn phòng Bảo hiểm xã hội Việt Nam", "headquarters"},
	{"TTCNTT", "Trung tâm Công nghệ thông tin", "service_unit"},
	{"TTGD", "Trung tâm Giám định bảo hiểm y tế và Thanh toán đa tuyến", "service_unit"},
	{"TTLT", "Trung tâm Lưu trữ", "service_unit"},
	{"TTTT", "Trung tâm Truyền thông", "service_unit"},
	{"TCBHXH", "Tạp chí Bảo hiểm xã hội", "service_unit"},
	{"TTDVHCC", "Trung tâm Dịch vụ hành chính công và Chăm sóc khách hàng", "service_unit"},
}

// Invented given and family names for demo contacts; any match with a real
// person is chance.
var demoFamily = []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ"}
var demoMiddle = []string{"Văn", "Thị", "Minh", "Đức", "Thu", "Quang", "Ngọc", "Hữu"}
var demoGiven = []string{"An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Khánh", "Lâm", "Mai", "Nam", "Phúc", "Quân", "Sơn", "Trang", "Uyên", "Vy"}
var demoPositions = []string{"Phó Giám đốc phụ trách CNTT", "Trưởng phòng Công nghệ thông tin", "Cán bộ an toàn thông tin"}
