"""What inquiries may refer to: read models of the ASCN cities, companies and submitted
proposals, kept from the proposals and companies streams, and the rules that check a
submission's requester and links against them."""
