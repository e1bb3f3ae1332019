"""Tests of the kernel tier (see tests/README.md)."""
