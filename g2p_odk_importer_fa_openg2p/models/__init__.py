from . import odk_import_config, odk_import_record
