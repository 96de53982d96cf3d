from . import odk_import_instance
