from . import test_registration_portal
