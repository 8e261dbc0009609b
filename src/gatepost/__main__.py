from gatepost.cli import main

raise SystemExit(main())
