"""Tests of the unit tier (see tests/README.md)."""
