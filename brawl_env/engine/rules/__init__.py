"""The rules, one module per GAME.md section. Each kernel's docstring opens with the section it implements."""
