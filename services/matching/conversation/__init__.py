"""The short message thread two sides have on a mutually accepted match."""
