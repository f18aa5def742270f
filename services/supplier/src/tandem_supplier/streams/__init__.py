"""The supplier performance stream (Faust): procurement events -> per-supplier scorecards."""
