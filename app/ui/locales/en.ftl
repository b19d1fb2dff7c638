# Rally's English texts (Project Fluent). Every message here must exist in
# every other language file (a test checks it).

events = Events
groups = Groups
personas = Personas
sync = Sync
settings = Settings
upcoming = Upcoming
mine = Mine
my-groups = My groups
followed = Followed
follow = Follow
unfollow = Unfollow
remove = Remove
role = Role
add-a-link = Add a link
all = All
search-events = Search events
new-event = New event
no-events-here-yet = No events here yet.
discover = Discover
no-public-events-to-discover-yet = No public events to discover yet. Sync with a server to get its public events.
welcome-to-rally = Welcome to Rally
choose-a-name-for-your-first = Choose a name for your first persona. You can create others later; nobody can link them.
name = Name
create = Create
title = Title
description-markdown = Description (Markdown)
starts = Starts
ends = Ends
time-zone = Time zone
place = Place
address = Address
online-link = Online link
visibility = Visibility
public = Public
unlisted = Unlisted
members-only = Members only
group = Group
none = None
save = Save
cancel = Cancel
back = Back
edit = Edit
cancel-event = Cancel event
join = Join
leave = Leave
add-to-calendar = Add to calendar
open-map = Open map
from-the-fediverse = From the Fediverse
in-the-events-time-zone = In the event's time zone
organisers = Organisers
participants = Participants
comments = Comments
write-a-comment = Write a comment
comment = Comment
reply = Reply
members = Members
links = Links
chat = Chat
only-members-can-read-this-chat = Only members can read this chat; it is end-to-end encrypted.
write-a-message = Write a message
send = Send
invite = Invite
share-this-token-or-qr-code = Share this link or QR code with the person you invite: it opens Rally on the invitation. Anyone who has it can join, so send it privately.
join-a-group-with-a-token = Join a group with a token
invitation-token = Invitation token
create-a-group = Create a group
summary = Summary
switch = Switch
current = Current
new-persona = New persona
no-group = no group
running = Running
stopped = Stopped
listening-on = Listening on
connected-peers = Connected peers
nobody-nearby-right-now = Nobody nearby right now.
last-complete-sync = Last complete sync
documents-on-their-way = Documents on their way
server = Server
language = Language
server-address = Server address
invitation-code-if-the-server-asks = Invitation code (if the server asks for one)
saved = Saved.
joined = Joined.
you-will-join-as-soon-as = You will join as soon as the group reaches this device.
cancelled = cancelled
going = going
pending = pending
never = never
loading = Loading…

## With values

# $count: how many members a group has.
group-members = { $count ->
    [one] { $count } member
   *[other] { $count } members
}
# $status: "going" or "pending", already translated.
you-are = You are { $status }
# $path: where the file was written.
saved-to = Saved to { $path }
# $name: whom the reply answers.
replying-to = Replying to { $name }
# $groups: the persona's groups, comma-separated.
persona-in-groups = in { $groups }
# $count: participants of an event.
participants-count = Participants ({ $count })

## Dates (the shell fills in the day and the time, written by ICU for the locale)

when-today = Today at { $time }
when-tomorrow = Tomorrow at { $time }
when-yesterday = Yesterday at { $time }
when-on = { $day } at { $time }

# $count: how many are going to an event.
going-count = { $count ->
    [0] nobody going yet
    [one] { $count } going
   *[other] { $count } going
}

## First run and sync help

onboarding-offline-title = Works without internet
onboarding-offline = Your events, groups and messages stay on this device. It shares them with the people around you over Wi-Fi, even at a march with no network.
onboarding-personas-title = Personas nobody can link
onboarding-personas = A persona is a name you act under. Keep several — for your union, your choir, your neighbourhood — nobody can tell they are the same person.
onboarding-server-title = A server only if you want one
onboarding-server = A server (your collective's, or any you trust) lets you sync through the internet and follow groups on the Fediverse. You can add one later in the settings.
sync-help-wifi = Be on the same Wi-Fi as the others, or share a phone's hotspot.
sync-help-isolation = Public and hotel Wi-Fi often keeps devices apart: a hotspot works where they do not.
sync-help-server = No server is set: add your collective's in the settings to sync through the internet too.
invitation = Invitation
join-this-group = Join this group?
you-will-join-as = You were invited to a group. You will join it as { $persona }; its members will see this persona, and only this one.
not-now = Not now
invitation-link = Invitation link
copy-link = Copy link
theme = Theme
theme-system = As the system
theme-light = Light
theme-dark = Dark
since-you-last-looked = Since you last looked
unread-messages = { $count ->
    [one] 1 unread message
   *[other] { $count } unread messages
}
new-on-events = { $count ->
    [one] 1 new comment or participant
   *[other] { $count } new comments or participants
}
new-comments = { $count ->
    [one] 1 new comment
   *[other] { $count } new comments
}
new-participants = { $count ->
    [one] 1 new participant
   *[other] { $count } new participants
}
news-count = { $count } new
new-message-from = New message from { $author }
show-more = Show more
full = Full
picture = Picture
choose-picture = Choose a picture
picture-alt = What the picture shows (read out to those who cannot see it)
picture-is-cleaned = The picture is cleaned before it is kept: where and when it was taken and the camera's details are removed.
picture-needs-alt = Say what the picture shows first.
picture-too-large = That file is over 10 MB: choose a smaller picture.
save-picture = Save the picture
remove-picture = Remove the picture
picture-saved = Picture saved
picture-removed = Picture removed
picture-on-its-way = Picture on its way
map = Map
map-no-tiles = No tile server reachable: the map shows the tiles kept on this device, if any, with its places, routes and points.
map-click-route = Click the map to add the route's next point.
map-click-points = Name the point, then click the map where it is.
point-label = Point's name (meeting point, first aid, legal support…)
point-n = Point { $n }
draw-route = Draw the route
add-points = Add points
clear-route = Clear the route
clear-points = Clear the points
keep-map-offline = Keep this map offline
kept-map = { $tiles } tiles kept offline
find-address = Find an address
places-approximate = No address search available: these are towns from the offline gazetteer, approximate.
nothing-found = Nothing found.
places-from = Found by { $source }
events-in-this-area = Events in this area
everywhere = Everywhere
maps-and-addresses = Maps and addresses
address-search = Address search
geocoder-server = Through my server (the provider sees the server, not me)
geocoder-direct = Ask a provider directly (it sees me)
geocoder-offline = Offline only (towns from the bundled gazetteer)
geocoder-kind = Kind of geocoder
geocoder-url = The geocoder's address
geocoder-direct-note = Respect the provider's usage policy: public Nominatim allows at most one search a second.
tile-server = Tile server (leave empty to use my server's)
tile-attribution = The credit its terms require
tile-server-note = Maps from a tile server chosen here are shown but not kept offline: keeping needs a provider whose terms allow it, as your server's admin can choose.

calendar-feed = Calendar feed
calendar-feed-help = The events you joined or follow, in your calendar app: subscribe to this address. Keep it to yourself — whoever has it sees those events.
calendar-feed-show = Show my calendar address
calendar-feed-address = Calendar address (iCalendar)
calendar-feed-news = News feed address (Atom)
calendar-feed-reset = New address
calendar-feed-was-reset = A new address: the old one no longer works.

## Recurring events
repeats = Repeats
repeats-check = This event repeats
repeat-frequency = How often
freq-daily = Every day
freq-weekly = Every week
freq-monthly = Every month
freq-yearly = Every year
repeat-interval = Every how many (1: each)
repeat-on-days = On these days
repeat-monthly-by = In the month
repeat-by-date = On the same date
repeat-by-weekday = On the same weekday (such as the second Tuesday)
repeat-until-label = Until (optional)
repeat-count-label = Or this many times (optional)
weekday-monday = Monday
weekday-tuesday = Tuesday
weekday-wednesday = Wednesday
weekday-thursday = Thursday
weekday-friday = Friday
weekday-saturday = Saturday
weekday-sunday = Sunday
repeat-rank-1 = first
repeat-rank-2 = second
repeat-rank-3 = third
repeat-rank-4 = fourth
repeat-rank-last = last
repeat-daily-sentence = { $n ->
    [one] Every day
   *[other] Every { $n } days
} at { $time }
repeat-weekly-sentence = { $n ->
    [one] Every week
   *[other] Every { $n } weeks
} on { $days } at { $time }
repeat-monthly-sentence = { $n ->
    [one] Every month
   *[other] Every { $n } months
} on day { $day } at { $time }
repeat-monthly-weekday-sentence = { $n ->
    [one] Every month
   *[other] Every { $n } months
} on the { $rank } { $weekday } at { $time }
repeat-yearly-sentence = { $n ->
    [one] Every year
   *[other] Every { $n } years
} at { $time }
repeat-until = until { $date }
repeat-times = , { $count ->
    [one] once
   *[other] { $count } times
}
next-occurrences = Next dates
changed = changed
cancel-occurrence = Cancel this date
restore-occurrence = Restore this date
change-occurrence = Change this date
occurrence-blank-help = Left blank, a field is as the series has it.
occurrence-scope = Which dates
occurrence-this = Only this date
occurrence-following = This date and the following ones
join-series = Join every date
leave-series = Leave every date
reminder-body = Begins: { $when }
reminders = Reminders
reminders-help = Before the events you go to, this device reminds you, even with no network. Nothing about it leaves the device.
reminders-on = Remind me
remind-day-before = A day before
remind-hour-before = An hour before
remind-quarter-before = A quarter of an hour before
remind-hour-and-day-before = An hour and a day before
remind-me = Remind me of this event
remind-as-settings = As in the settings
remind-never = Never
report = Report
report-reason = Why
reason-spam = Spam
reason-harassment = Harassment
reason-illegal = Illegal content
reason-other = Something else
report-details = What should they know? (optional)
report-to = Send it to
report-to-moderators = The group's moderators (end to end encrypted)
report-to-admins = Your server's admins (they see who reported)
send-report = Send the report
report-sent-moderators = Sent to { $count ->
    [one] the group's moderator
   *[other] the group's { $count } moderators
}.
report-sent-admins = Your server's admins get it as you next sync.
report-comment-by = Report the comment by { $name }
report-name = Report { $name }
comment-hidden = This comment is hidden.
moderation = Moderation
reports = Reports
no-reports = No reports.
reported-by = reported by { $name }
ban = Ban
ban-name = Ban { $name }
bans = Banned
nobody-banned = Nobody is banned.
lift-ban = Lift the ban
lift-ban-of = Lift the ban of { $name }
moderation-log = Moderation log
nothing-yet = Nothing yet.
mod-ban = banned
mod-unban = lifted the ban of
mod-unlist-event = took off the group's page
mod-list-event = put back on the group's page
mod-hide-comment = hid the comment
mod-show-comment = showed again the comment
join-requests = Asking to join
approve = Approve
approve-name = Approve { $name }
decline = Decline
decline-name = Decline { $name }
mod-approve-member = let in
mod-decline-member = declined the request of
ask-to-join = Ask to join
asked-to-join = You asked to join: the group's moderators answer.
unlist-from-group = Take it off the group's page
list-in-group = Put it back on the group's page

pair-title = Pair with a device
pair-help = When devices do not find each other on the network (iPhones, hotel Wi-Fi), one shows this code and the other scans it: they then sync directly.
pair-qr-label = This device's pairing QR code
pair-show-text = Show the code as text
pair-not-yet = The code appears once sync is running.
pair-with = Pair with another device
pair-scan = Scan its QR code
pair-paste = Or paste its code (rally://pair?…)
pair-button = Pair
pair-dialling = { $count ->
    [one] Pairing: reaching the device at 1 address…
   *[other] Pairing: reaching the device at { $count } addresses…
}

server-rules = This server's rules
server-contact = Its admins

wipe-title = Wipe this device
wipe-help = If this device may be lost or taken: every key is destroyed first, then every persona, group, event and message on it. Your groups and events live on with the other members.
wipe-button = Wipe this device…
wipe-confirm-title = Wipe everything on this device?
wipe-confirm-text = Every key, persona, group, event and message on this device is destroyed, for good, and Rally closes. There is no undo.
wipe-yes = Wipe now
lock-title = Rally is locked
lock-help = This device's data is sealed by a passphrase. Enter it to open Rally.
lock-passphrase = Passphrase
lock-open = Open
lock-opening = Opening…
lock-card-title = Lock with a passphrase
lock-keeping-none = This device's data is not encrypted.
lock-keeping-keystore = This device's data is encrypted; its key is kept in the { $keystore }.
lock-keeping-passphrase = This device's data is encrypted and sealed by your passphrase: Rally asks for it when it starts.
lock-keeping-file = This device's data is encrypted, but this system has no keystore: its key lies beside it. Seal it with a passphrase.
lock-help-settings = With a passphrase, nobody who takes this device can open Rally or read its data without it. If you forget it, the data is lost (your groups and events live on with the other members).
lock-new-passphrase = New passphrase
lock-again = The passphrase again
lock-mismatch = The two passphrases are empty or differ.
lock-wipe-after = Wipe this device after wrong passphrases
lock-wipe-never = Never
lock-wipe-count = After { $count } wrong passphrases in a row
lock-wipes-after = Wrong passphrases wipe this device after { $count } in a row.
lock-duress = Duress passphrase (optional)
lock-duress-help = Entered instead of your passphrase, it wipes this device and opens an empty Rally, as on a new phone.
lock-duress-set = A duress passphrase is set.
lock-save = Lock with this passphrase
lock-set = Rally is locked by your passphrase from its next start.
lock-remove = Remove the passphrase
lock-removed = The passphrase is removed; the key is back in the system's keystore.
lock-now = Lock now
lock-after-hidden = Lock Rally when it has been in the background
lock-after-never = Never (only at start)
lock-after-now = Right away
lock-after-minutes = After { $count ->
    [one] one minute
   *[other] { $count } minutes
}

## Disappearing messages
disappearing-messages = Disappearing messages
messages-disappear-after = Messages sent now disappear after { $time }, from every member's device.
disappears-at = Disappears at { $time }
one-hour = 1 hour
one-day = 1 day
one-week = 1 week
off = Off

## Less on the device
keep-title = Less on this device
keep-help = A seized or lost phone gives away only what it holds. Older events can be forgotten here; other devices and servers keep them, and you can fetch one again.
keep-events = Keep events
keep-all = All of them
# $count: how many months of events the device keeps.
keep-months-choice = { $count ->
    [one] The last month
   *[other] The last { $count } months
}
# $count: how many events this device forgot.
forgotten-count = { $count ->
    [one] One older event forgotten.
   *[other] { $count } older events forgotten.
}
# $date: when the forgotten event ended.
forgotten-ended = An event that ended { $date }
fetch-again = Fetch again
fetch-again-asked = Asked for: it comes back with the next sync with a device or server that keeps it.
# $count: how many older messages of this group the device forgot.
older-forgotten = { $count ->
    [one] One older message is no longer on this device.
   *[other] { $count } older messages are no longer on this device.
}
fetch-older = Fetch older messages
fetch-older-asked = Asked for: they come back with the next sync with a member or server that keeps them.
