# The README's commands. Everything lives in scripts/stack.py (standard library only).
PYTHON ?= python3

.PHONY: run stop test screenshots i18n
run:
	$(PYTHON) scripts/stack.py up
stop:
	$(PYTHON) scripts/stack.py down
test:
	$(PYTHON) scripts/stack.py test
screenshots:
	$(PYTHON) scripts/stack.py screenshots
i18n:
	$(PYTHON) scripts/stack.py i18n
