"""`finesse-logscan redact`: a shareable copy of a bundle that still diagnoses the same.

Two passes over the inputs. The first learns what identifies people and servers (agent IDs,
names, extensions, phone numbers, host names) from the rules in data/redact_rules.toml (and the
user's --rules file). The second writes every text file into a new zip, line for line (same
folder layout, same file names with their identifying parts replaced, same number of lines),
with each value replaced by a pseudonym that is the same everywhere: keyed by HMAC-SHA256 with
the user's key, so two bundles of a site redacted with the same key line up. Tokens keep the
shape the parsers read: numeric IDs stay numeric (same length), host names keep their labels
(`host-1f2e3d.example.invalid`), addresses keep their subnets (one /24 becomes one pseudo /24 in
240.0.0.0/4, reserved: no real host has such an address). Heap and core dumps are left out
(their bytes cannot be cleaned), with a note; an empty file keeps each one's name (and, from a
zip, its time), which is all the analysis reads.
The mapping (token -> original) goes to a file the user keeps, never into the output.

Both passes read a clean block of lines (4 MiB) at a time: its messages not met before (a
debug log repeats the same few hundred under new times) are joined by line ends and each rule
runs once over them all, not once per line; every match is checked to be one the rule would
take on its line alone (see Redactor.block), and where one cannot be (a match across a line
end) the block's new messages go line by line. A block whose lines carry no openfire time (web
services, client logs) is taken as it stands.

With several jobs, blocks are learnt from and redacted on their own (as if each were the first)
by worker processes and taken in file order here, checked to give what one process gives (see
passes._InOrder, _Learning, _Writing): the copy and the mapping do not depend on the number
of jobs.

The modules: `rules` (the rules and keep entries, as data), `tokens` (pseudonyms, the key,
the mapping), `redactor` (learning and replacing in a line or a block), `matching` (what the
redactor's block paths are made of), `passes` (the two passes over several processes),
`archive` (the output zip), `check` (`redact --check`).
"""

from .check import Suspect, check, iter_check
from .passes import Result, redact
from .redactor import Redactor
from .rules import KEEP, KINDS, RedactError, Rule, builtin_rules, load_rules, parse_rules
from .tokens import TOKEN_DOMAIN, Pseudonyms, is_token, new_key, read_key, reveal, write_mapping

__all__ = [
    "KEEP",
    "KINDS",
    "TOKEN_DOMAIN",
    "Pseudonyms",
    "RedactError",
    "Redactor",
    "Result",
    "Rule",
    "Suspect",
    "builtin_rules",
    "check",
    "is_token",
    "iter_check",
    "load_rules",
    "new_key",
    "parse_rules",
    "read_key",
    "redact",
    "reveal",
    "write_mapping",
]
