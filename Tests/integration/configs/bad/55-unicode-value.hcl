# Einstellungen für den Agenten
log_level = "débogage"
