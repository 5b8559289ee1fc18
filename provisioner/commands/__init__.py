"""The commands of the command line, one module per group of jobs; provisioner.cli makes the group
of them and registers each.

The commands build objects and call planner, applier and render: no logic of their own beyond
wiring. Those that talk to the API import the planner, the applier, the SDK and the renderers when
they run: `validate` (a CI check, run on every change) needs none of them, and they take longer to
import than a large stack takes to validate.
"""
