"""CityKB: a cited knowledge base of a city's development, served over HTTP."""
