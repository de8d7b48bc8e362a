"""Common Transfer File (CTF) import: `POST /v1/ctf` and `rollwatch import-ctf`.

A CTF is the XML file (root `CTfile`) a school's MIS sends when a pupil leaves: to the next
school's LAESTAB, to `MMMMMMM` (independent school or outside England and Wales) or to
`XXXXXXX` (destination unknown: the Lost Pupils Database). Rollwatch turns a file into one event
per pupil: a `pupil.deleted` at the school that sent it, or a `pupil.enrolled` at the school that
received it.

- `reader`: the secure streaming parser. It refuses DTDs and entities and reads only the
  elements listed in its `PUPIL_FIELDS` / `HEADER_FIELDS`: never a name, an address or a contact.
- `plan`: the header and the import options -> what every pupil of the file becomes.
- `mapping`: a read pupil -> an event dict, per the plan (`pupil_snapshot` for the pupil's
  facts, `values` for the file's dates and codes).
- `service`: the import of one file (read, map, validate with the event contract) shared by the
  HTTP route and the command line.
- `api`: the `POST /v1/ctf` router. `command`: the `rollwatch import-ctf` subcommand."""
