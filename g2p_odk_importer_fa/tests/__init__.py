from . import test_import, test_live, test_security
