"""Stores, chosen per role by URL: the durable Catalog (memory, sqlite), the Cache (memory, redis),
and the Counters (usage/). Each role is one small protocol with one contract test suite."""
