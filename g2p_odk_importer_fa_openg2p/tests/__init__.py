from . import test_openg2p_individuals
