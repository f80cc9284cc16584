"""Entry point of the Dataflow Flex Template: the launcher runs ``python flex_template.py --opt=value ...``.

Every argument is a ``newsbeam run`` option or a Beam option (the launcher adds ``--runner``,
``--project``, ``--region``, ``--temp_location`` and the like), so this is ``newsbeam run`` itself.
"""

import sys

from newsbeam.pipeline.cli import run_and_exit

if __name__ == "__main__":
    run_and_exit(["run", *sys.argv[1:]])
