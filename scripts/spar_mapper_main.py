"""Launcher of the SPAR ID-account mapper from PyPI.

The ``openg2p-spar-mapper-api`` wheel ships no entry point. Its ``Initializer``
must be imported before anything else of ``openg2p_fastapi_common``: importing
it loads the mapper's settings (``SPAR_MAPPER_*`` env vars), which the common
library reads at import time.

Usage: ``python spar_mapper_main.py migrate`` then ``python spar_mapper_main.py run``.
"""

from openg2p_spar_mapper_api.app import Initializer  # isort: skip

from openg2p_fastapi_common.ping import PingInitializer

initializer = Initializer()
PingInitializer()
app = initializer.return_app()

if __name__ == "__main__":
    initializer.main()
