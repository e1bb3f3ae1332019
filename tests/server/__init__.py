"""Tests of the server tier (see tests/README.md)."""
