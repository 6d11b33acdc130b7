"""Test helpers shipped as public API: Hypothesis strategies, the pytest plugin and the
state-store contract class. Importing this package pulls in nothing heavy; the strategies
module needs Hypothesis and the sandbox fixture needs the ``sandbox`` extra."""
