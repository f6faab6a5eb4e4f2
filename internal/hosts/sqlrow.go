package hosts

import "database/sql"

type sqlRow = sql.Row
