"""newsbeam's transforms: one module per concern, each a composite PTransform over pure functions."""
