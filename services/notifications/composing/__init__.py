"""How mail reads: who hears what, the templates, invitations and the message itself."""
