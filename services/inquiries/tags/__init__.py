"""Tags: a managed tag list per desk; staff tag inquiries with tags of their desk's list,
and a tag may route the inquiry to a queue."""
