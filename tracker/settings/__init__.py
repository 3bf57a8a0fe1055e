"""Settings split: base (shared), local (development), test, production."""
