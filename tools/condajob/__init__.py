"""The main build job: build the recipe, index output/, install into fresh envs, test."""
