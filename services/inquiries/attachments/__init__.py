"""Attachments of inquiries: files of the conversation, under the inquiry's read rules.

The mechanism (upload, limits, sniffing, dedupe, download, sweeping) is ``shared.documents``;
this package decides who reads which file and which messages refer to which files."""
