"""Image back ends behind one interface, chosen by ``ROSTRO_IMAGINE_BACKEND``."""
