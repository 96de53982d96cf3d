from . import registration_portal
