import sys

from workspace.local.controlplane.daemon import main

sys.exit(main())
