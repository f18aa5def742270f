"""The runtime every Tandem service stands on."""
