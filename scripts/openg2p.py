"""Running the suite inside OpenG2P's registry (openg2p-registry 17.0-1.4).

Deployments run our addons beside OpenG2P's ``g2p_registry_*`` addons, which
redefine ``res.partner`` too. Which definition of a field wins depends on the
order modules load in, and that order differs between the process that
installs them and any later restart. So the OpenG2P part of ``make test``
installs everything in one Odoo process, then runs the tests in a second,
plain restart (``--test-tags`` without ``-i``/``-u``): a clash that only shows
after a restart fails there, as it would in production.

The tree is found through ``OPENG2P_PATH`` (default /opt/openg2p-registry);
nothing of it is copied here. Without it the part is reported as skipped,
unless ``G2P_REQUIRE_OPENG2P=1`` (set by ``.ci/run``) makes that a failure.

Imported by ``scripts/stack.py``, which passes in its stack objects: this
module holds no paths of its own, so that the system tests re-pointing
``stack.py``'s paths need not know about it. Standard library only.
"""

import os
import subprocess

CLONE_HINT = (
    "git clone -b 17.0-1.4 https://github.com/OpenG2P/openg2p-registry "
    "/opt/openg2p-registry"
)
REQUIRE_VARIABLE = "G2P_REQUIRE_OPENG2P"
GLUE_ADDON = "g2p_spar_fa_openg2p"
# Every glue addon (each auto_install): the registry glue, the registration
# portal's payment section, ODK imports of OpenG2P individuals.
GLUE_ADDONS = [GLUE_ADDON, "g2p_spar_fa_openg2p_portal", "g2p_odk_importer_fa_openg2p"]
# The browser tours whose last pictures are the README's (make screenshots).
SCREENSHOT_TOURS = (
    f"/{GLUE_ADDON}:TestTours",
    "/g2p_spar_fa_openg2p_portal:TestRegistrationPortalPaymentFa"
    ".test_tour_registers_an_individual_with_a_payment_number",
)
TEST_DB = "g2p_openg2p_test"
# What a registry deployment runs, as far as it installs without OCA modules
# that have no 17.0 release (see INSTALLABLE_NOTES); the rest of each
# addon's dependencies (account, website, queue_job) come with them.
REGISTRY_ADDONS = [
    "g2p_registry_base",
    "g2p_registry_individual",
    "g2p_registry_group",
    "g2p_registry_membership",
    "g2p_bank",
    "g2p_enumerator",
    "g2p_agent_portal_base",
    "g2p_registration_portal_base",
    "g2p_encryption",
    "g2p_registry_encryption",
]
# Why the other addons a deployment may run are left out (README "OpenG2P").
NOT_INSTALLED = {
    "g2p_documents": "needs OCA storage_file and storage_backend_s3, "
    "which have no 17.0 release",
    "g2p_odk_importer": "needs g2p_documents",
    "g2p_odk_user_mapping": "needs g2p_odk_importer",
}


def tree_found(path):
    """Whether ``path`` holds an OpenG2P registry checkout we can install."""
    return (path / "g2p_registry_base" / "__manifest__.py").is_file()


def required():
    return os.environ.get(REQUIRE_VARIABLE) == "1"


def mode_description(path):
    if tree_found(path):
        return f"inside OpenG2P's registry ({path})"
    return f"plain Odoo (no OpenG2P registry tree at OPENG2P_PATH={path})"


def missing_tree_line(path):
    return (
        f"skipped: OpenG2P registry tree not found at OPENG2P_PATH={path} "
        f"(get it with: {CLONE_HINT})"
    )


def install_addons(our_addons):
    """Everything one OpenG2P database holds: their registry, ours, the glue."""
    return [*REGISTRY_ADDONS, *our_addons, *GLUE_ADDONS]


def install(stack, config, db, addons, log_file, env, extra=()):
    """Install ``addons`` into ``db`` in an Odoo process of its own.

    Returns the names among ``addons`` that did not end up installed (a
    module Odoo could not install is skipped with only a log line)."""
    cmd = stack.odoo_cmd(
        config,
        *("-d", db, "-i", ",".join(addons)),
        *extra,
        *("--stop-after-init", f"--logfile={log_file}"),
    )
    result = subprocess.run([str(c) for c in cmd], env=env, check=False)
    if result.returncode != 0 or not stack.db_exists(db):
        return list(addons)
    names = ",".join(f"'{name}'" for name in addons)
    installed = set(
        stack.psql(
            "SELECT name FROM ir_module_module "
            f"WHERE state = 'installed' AND name IN ({names})",
            db=db,
        ).split()
    )
    return [name for name in addons if name not in installed]


def run_tests(stack_module, tally, stack, our_addons, test_addons, tags=None):
    """The OpenG2P part of ``make test``: install, restart, test.

    ``test_addons`` are the addons whose tests run (ours and the glue's),
    unless Odoo ``tags`` say which."""
    path = stack_module.OPENG2P_PATH
    if not tree_found(path):
        line = missing_tree_line(path)
        if required():
            print(f"--- {line}; {REQUIRE_VARIABLE}=1 makes this a failure")
            tally.add("openg2p (tree missing)", 0, 1)
        else:
            print(line, flush=True)
            tally.add("openg2p", 0, 0, 1)
        return
    config = stack.odoo_config(workers=0)
    env = stack.odoo_env()
    install_log = stack.logs / "openg2p-install.log"
    addons = install_addons(our_addons)
    stack_module.say(
        f"installing OpenG2P's registry, our addons and the glue into {TEST_DB} "
        f"(first process); log {install_log}"
    )
    missing = install(stack, config, TEST_DB, addons, install_log, env)
    if missing:
        print(
            f"--- OpenG2P install: not installed: {', '.join(missing)}\n"
            + install_log.read_text(errors="replace")[-6000:]
        )
        tally.add("openg2p install", 0, 1)
        return
    tally.add("openg2p install", 1, 0)
    tags = tags or ",".join(f"/{name}" for name in test_addons)
    log_file = stack.logs / "openg2p-tests.log"
    stack_module.say(
        f"running the tests ({tags}) in a second Odoo process on {TEST_DB}; "
        f"log {log_file}"
    )
    cmd = stack.odoo_cmd(
        config,
        *("-d", TEST_DB, "--test-enable", "--test-tags", tags),
        *("--stop-after-init", "--log-level=test"),
        f"--screenshots={stack.root / 'screenshots'}",
        f"--logfile={log_file}",
    )
    result = subprocess.run([str(c) for c in cmd], env=env, check=False)
    stack_module.tally_odoo_log(tally, "openg2p odoo tests", result, log_file)
