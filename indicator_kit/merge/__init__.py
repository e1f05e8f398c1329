"""merge and status: the master Phụ lục 2 table with provenance, and who still has to act."""
