"""From a config file to a running Gateway object: load, open the stores, compile."""

from __future__ import annotations

from pathlib import Path

from gatepost.clock import SYSTEM_CLOCK, Clock
from gatepost.config.compile import compile_gateway
from gatepost.config.load import load_file, load_text
from gatepost.gateway import Gateway
from gatepost.services import Services
from gatepost.stores.base import Cache, Catalog
from gatepost.stores.url import open_cache, open_catalog


def build_gateway(path: str | Path | None = None, *, text: str | None = None, clock: Clock = SYSTEM_CLOCK,
                  catalog: Catalog | None = None, cache: Cache | None = None, workers: int | None = None,
                  config_dir: Path | None = None) -> Gateway:
    """Load and compile a config. `text` (with `config_dir`) serves tests that keep configs inline.

    Stores come from the config's `state:` URLs unless given here (tests pass memory stores).
    """
    if text is not None:
        config, doc = load_text(text, str(path or "<config>"))
        base = config_dir or Path(".")
    else:
        assert path is not None
        config, doc = load_file(path)
        base = config_dir or Path(path).resolve().parent
    services = Services(
        clock=clock,
        catalog=catalog if catalog is not None else open_catalog(config.state.catalog, base),
        cache=cache if cache is not None else open_cache(config.state.cache, clock),
        config_dir=base,
        workers=workers or config.server.workers,
    )
    services.settings["counters"] = config.state.counters
    services.watcher.max_stale = config.state.catalog_max_stale
    try:
        return compile_gateway(config, doc, services, base)
    except BaseException:
        services.catalog.close()
        raise
