"""The host channel: an offline conda channel of shim packages for building the recipe.

See ``tools/host_channel.py`` for the command and ``../shared/DESIGN.md`` (section 2)
for why it exists.
"""
