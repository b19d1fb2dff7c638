# The server's public pages, in English. Every message here exists in fr.ftl.

nav-label = Site
nav-events = Events
nav-about = About
language-label = Language
skip-to-content = Skip to content

home-title = Upcoming events on { $host }
listing-title = Upcoming events on { $host }
listing-none = No upcoming events found.
listing-from = (from { $host })
search-label = Search events
search-words = Words
search-tag = Tag
search-from = From
search-to = To
search-near = Near (town)
search-km = Within (km)
search-submit = Search
search-near-unknown = No town called “{ $place }” is known here; showing events anywhere.
search-near-showing = Within { $km } km of { $place }.
pages-label = Pages
pager-earlier = Earlier
pager-later = Later
subscribe = Subscribe:
feed-calendar = calendar
feed-news = news feed

when-at = { $day } at { $time }
when-cancelled = Cancelled
when-in-zone = (time in { $zone })
when-yours = In { $zone }: { $when }
tz-label = Show the time in another zone
tz-submit = Show
tz-unknown = “{ $zone }” is not a time zone this server knows.

going = { $count ->
    [one] 1 going
   *[other] { $count } going
}
event-organised-by = Organised by { $group }
event-add-calendar = Add to calendar
event-open-app = Open in the Rally app
event-map = Map
event-place = Place
event-comments = Comments
event-no-comments = No comments yet.
event-comment-by = { $name } wrote:
event-comment-hidden = A comment hidden by the organisers.
event-join-heading = Join from your Fediverse account
event-join-help = Mastodon, Mobilizon and other Fediverse accounts can join this event and follow its comments from their own server.
interact-handle = Your address, like @you@example.social
interact-submit = Continue on my server
interact-bad-handle = “{ $handle }” is not a Fediverse address: write it as @name@server.
interact-not-found = { $host } did not say how to interact with events from there.
interact-title = Join from your Fediverse account
interact-back = Back to the page

group-members = { $count ->
    [one] 1 member
   *[other] { $count } members
}
group-links = Links
group-upcoming = Upcoming events
group-past = Past events
group-no-upcoming = No upcoming events.
group-follow-heading = Follow from your Fediverse account
group-follow-help = Follow { $handle } from Mastodon, Mobilizon or another Fediverse server to see its events there.
group-embed = Show these events on your own site:
group-embed-none = { $name }: no upcoming events.

about-title = About { $host }
about-intro = This Rally server keeps events and groups for the people who sync with it, so their devices meet here even when they are never online together. It holds only what they share, and shows nobody what they may not read.
about-rules = Rules
about-no-rules = The admins have not written rules for this server.
about-contact = Contact
about-admins = Administrators
about-no-contact = The admins have not given a contact.
about-registrations = Registrations
about-registrations-open = Anyone may register: syncing with this server registers your persona.
about-registrations-invite = Registration is by invitation: ask the admins for a code and pass it with --invite.
about-registrations-closed = Registration is closed.
about-sync = Sync with it
about-addresses = Addresses
about-federation = Federation
about-federates = This server shares its public events and groups with the Fediverse (Mobilizon, Mastodon, Gancio and others) as { $actor }.
about-no-federation = This server does not federate.
about-software = Runs rally-server { $version }.

not-found-title = Not found
event-next-dates = Next dates
