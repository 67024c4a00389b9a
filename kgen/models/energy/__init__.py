"""Energy-based models: Boltzmann machines, RBMs with CD-k and PCD, DBN, DBM; AIS for log Z."""
