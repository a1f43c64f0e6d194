"""The project's configuration: `mediactl.yaml` read into frozen dataclasses (`model`), secrets by
reference (`credentials`), the validators and position-keeping YAML loader it is built with
(`schema`, `yamlpos`), and the platform facts it is checked against (`platforms`). It depends on
`core` only; every later stage reads the configuration through it."""
