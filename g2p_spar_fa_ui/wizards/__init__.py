from . import fa_amendment
