from demo_exports.generator import main

raise SystemExit(main())
