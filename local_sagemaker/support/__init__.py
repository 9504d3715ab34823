"""The support matrix: every request member of every supported operation, classified and enforced."""
