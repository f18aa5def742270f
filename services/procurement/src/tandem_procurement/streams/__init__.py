"""Stream processing: the Faust demand join (orders x coverage, by SKU)."""
