# The README's commands. Everything lives in scripts/stack.py (standard library only).
PYTHON ?= python3

.PHONY: run stop test screenshots i18n bridge-demo
# make run BRIDGE=1 also starts G2P Bridge (README: G2P Bridge).
run:
	$(PYTHON) scripts/stack.py up $(if $(BRIDGE),--bridge)
stop:
	$(PYTHON) scripts/stack.py down
test:
	$(PYTHON) scripts/stack.py test
screenshots:
	$(PYTHON) scripts/stack.py screenshots
i18n:
	$(PYTHON) scripts/stack.py i18n
bridge-demo:
	$(or $(wildcard .stack/venv-odoo/bin/python),$(PYTHON)) scripts/bridge_demo.py
