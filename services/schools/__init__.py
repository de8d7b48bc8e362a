"""The schools register: every establishment Get Information About Schools publishes (URN, LA,
LAESTAB, name, phase, type, status) and the links that say which school replaced which.

- `gias_csv`: streaming reader and validator of the GIAS files (`gias_file`: one CSV file, read
  safely)
- `register_store`: the versioned, append-only register in ClickHouse
- `importer`: `rollwatch schools import`, with its report
- `register`: `SchoolsRegister`, the current register in memory, for services
- `api`: `GET /v1/schools/{urn}` and `GET /v1/schools?la=...`
- `gias_fixture`: synthetic GIAS files in the published format"""

from services.schools.model import School, SchoolLink
from services.schools.register import SchoolsRegister

__all__ = ["School", "SchoolLink", "SchoolsRegister"]
