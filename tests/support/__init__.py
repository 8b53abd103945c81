"""Factories, fakes and helpers shared by the tests."""
