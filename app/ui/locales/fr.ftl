# Les textes français de Rally (Project Fluent).

events = Événements
groups = Groupes
personas = Identités
sync = Synchronisation
settings = Réglages
upcoming = À venir
mine = Les miens
my-groups = Mes groupes
followed = Suivis
follow = Suivre
unfollow = Ne plus suivre
remove = Retirer
role = Rôle
add-a-link = Ajouter un lien
all = Tous
search-events = Rechercher des événements
new-event = Nouvel événement
no-events-here-yet = Aucun événement ici pour l'instant.
discover = Découvrir
no-public-events-to-discover-yet = Aucun événement public à découvrir pour l'instant. Synchronisez avec un serveur pour recevoir ses événements publics.
welcome-to-rally = Bienvenue sur Rally
choose-a-name-for-your-first = Choisissez un nom pour votre première identité. Vous pourrez en créer d'autres ; personne ne pourra les relier.
name = Nom
create = Créer
title = Titre
description-markdown = Description (Markdown)
starts = Début
ends = Fin
time-zone = Fuseau horaire
place = Lieu
address = Adresse
online-link = Lien en ligne
visibility = Visibilité
public = Public
unlisted = Non listé
members-only = Membres seulement
group = Groupe
none = Aucun
save = Enregistrer
cancel = Annuler
back = Retour
edit = Modifier
cancel-event = Annuler l'événement
join = Participer
leave = Ne plus participer
add-to-calendar = Ajouter au calendrier
open-map = Voir la carte
from-the-fediverse = Depuis le Fediverse
in-the-events-time-zone = Dans le fuseau de l'événement
organisers = Organisateurs
participants = Participants
comments = Commentaires
write-a-comment = Écrire un commentaire
comment = Commenter
reply = Répondre
members = Membres
links = Liens
chat = Discussion
only-members-can-read-this-chat = Seuls les membres peuvent lire cette discussion ; elle est chiffrée de bout en bout.
write-a-message = Écrire un message
send = Envoyer
invite = Inviter
share-this-token-or-qr-code = Partagez ce lien ou ce code QR avec la personne invitée : il ouvre Rally sur l'invitation. Quiconque l'a peut rejoindre le groupe, envoyez-le en privé.
join-a-group-with-a-token = Rejoindre un groupe avec un jeton
invitation-token = Jeton d'invitation
create-a-group = Créer un groupe
summary = Résumé
switch = Utiliser
current = Actuelle
new-persona = Nouvelle identité
no-group = aucun groupe
running = En marche
stopped = À l'arrêt
listening-on = À l'écoute sur
connected-peers = Pairs connectés
nobody-nearby-right-now = Personne à proximité pour l'instant.
last-complete-sync = Dernière synchronisation complète
documents-on-their-way = Documents en cours de réception
server = Serveur
language = Langue
server-address = Adresse du serveur
invitation-code-if-the-server-asks = Code d'invitation (si le serveur en demande un)
saved = Enregistré.
joined = Inscrit·e.
you-will-join-as-soon-as = Vous rejoindrez le groupe dès qu'il arrivera sur cet appareil.
cancelled = annulé
going = participe
pending = en attente
never = jamais
loading = Chargement…

## Avec des valeurs

group-members = { $count ->
    [one] { $count } membre
   *[other] { $count } membres
}
you-are = Vous êtes { $status }
saved-to = Enregistré dans { $path }
replying-to = En réponse à { $name }
persona-in-groups = dans { $groups }
participants-count = Participants ({ $count })

## Dates

when-today = Aujourd'hui à { $time }
when-tomorrow = Demain à { $time }
when-yesterday = Hier à { $time }
when-on = { $day } à { $time }

going-count = { $count ->
    [0] personne pour l'instant
    [one] { $count } participant·e
   *[other] { $count } participant·es
}

## Premier lancement et aide à la synchronisation

onboarding-offline-title = Fonctionne sans internet
onboarding-offline = Vos événements, groupes et messages restent sur cet appareil. Il les partage avec les personnes autour de vous par le Wi-Fi, même dans une manifestation sans réseau.
onboarding-personas-title = Des identités que personne ne peut relier
onboarding-personas = Une identité est un nom sous lequel vous agissez. Gardez-en plusieurs — pour votre syndicat, votre chorale, votre quartier — personne ne peut savoir qu'il s'agit de la même personne.
onboarding-server-title = Un serveur seulement si vous le voulez
onboarding-server = Un serveur (celui de votre collectif, ou un autre de confiance) permet de synchroniser par internet et de suivre des groupes du Fediverse. Vous pourrez en ajouter un plus tard dans les réglages.
sync-help-wifi = Soyez sur le même Wi-Fi que les autres, ou partagez le point d'accès d'un téléphone.
sync-help-isolation = Les Wi-Fi publics et d'hôtel isolent souvent les appareils : un point d'accès fonctionne là où ils échouent.
sync-help-server = Aucun serveur n'est réglé : ajoutez celui de votre collectif dans les réglages pour synchroniser aussi par internet.
invitation = Invitation
join-this-group = Rejoindre ce groupe ?
you-will-join-as = On vous invite dans un groupe. Vous le rejoindrez en tant que { $persona } ; ses membres verront ce profil, et lui seul.
not-now = Pas maintenant
invitation-link = Lien d'invitation
copy-link = Copier le lien
theme = Thème
theme-system = Comme le système
theme-light = Clair
theme-dark = Sombre
since-you-last-looked = Depuis votre dernière visite
unread-messages = { $count ->
    [one] 1 message non lu
   *[other] { $count } messages non lus
}
new-on-events = { $count ->
    [one] 1 nouveau commentaire ou participant·e
   *[other] { $count } nouveaux commentaires ou participant·es
}
new-comments = { $count ->
    [one] 1 nouveau commentaire
   *[other] { $count } nouveaux commentaires
}
new-participants = { $count ->
    [one] 1 nouvelle personne inscrite
   *[other] { $count } nouvelles personnes inscrites
}
news-count = { $count } nouveau(x)
new-message-from = Nouveau message de { $author }
show-more = Afficher la suite
full = Complet
picture = Image
choose-picture = Choisir une image
picture-alt = Ce que montre l’image (lu à qui ne peut pas la voir)
picture-is-cleaned = L’image est nettoyée avant d’être gardée : le lieu et l’heure de la prise de vue et les détails de l’appareil sont retirés.
picture-needs-alt = Dites d’abord ce que montre l’image.
picture-too-large = Ce fichier dépasse 10 Mo : choisissez une image plus petite.
save-picture = Enregistrer l’image
remove-picture = Retirer l’image
picture-saved = Image enregistrée
picture-removed = Image retirée
picture-on-its-way = Image en route
map = Carte
map-no-tiles = Aucun serveur de tuiles joignable : la carte montre les tuiles gardées sur cet appareil, s'il y en a, avec ses lieux, parcours et points.
map-click-route = Cliquez sur la carte pour ajouter le point suivant du parcours.
map-click-points = Nommez le point, puis cliquez sur la carte là où il se trouve.
point-label = Nom du point (rendez-vous, premiers secours, soutien juridique…)
point-n = Point { $n }
draw-route = Tracer le parcours
add-points = Ajouter des points
clear-route = Effacer le parcours
clear-points = Effacer les points
keep-map-offline = Garder cette carte hors ligne
kept-map = { $tiles } tuiles gardées hors ligne
find-address = Chercher une adresse
places-approximate = Pas de recherche d'adresse disponible : ce sont des villes du répertoire hors ligne, approximatives.
nothing-found = Rien trouvé.
places-from = Trouvé par { $source }
events-in-this-area = Événements dans cette zone
everywhere = Partout
maps-and-addresses = Cartes et adresses
address-search = Recherche d'adresses
geocoder-server = Par mon serveur (le fournisseur voit le serveur, pas moi)
geocoder-direct = Demander directement à un fournisseur (il me voit)
geocoder-offline = Hors ligne seulement (villes du répertoire intégré)
geocoder-kind = Type de géocodeur
geocoder-url = Adresse du géocodeur
geocoder-direct-note = Respectez les conditions du fournisseur : Nominatim public permet au plus une recherche par seconde.
tile-server = Serveur de tuiles (vide : celui de mon serveur)
tile-attribution = La mention que ses conditions exigent
tile-server-note = Les cartes d'un serveur de tuiles choisi ici s'affichent mais ne sont pas gardées hors ligne : il faut un fournisseur qui le permet, comme l'admin de votre serveur peut en choisir.

calendar-feed = Agenda
calendar-feed-help = Les événements auxquels vous participez ou que vous suivez, dans votre application d’agenda : abonnez-la à cette adresse. Gardez-la pour vous — qui l’a voit ces événements.
calendar-feed-show = Afficher l’adresse de mon agenda
calendar-feed-address = Adresse de l’agenda (iCalendar)
calendar-feed-news = Adresse du fil d’actualité (Atom)
calendar-feed-reset = Nouvelle adresse
calendar-feed-was-reset = Une nouvelle adresse : l’ancienne ne fonctionne plus.

## Recurring events
repeats = Répétition
repeats-check = Cet événement se répète
repeat-frequency = Fréquence
freq-daily = Tous les jours
freq-weekly = Toutes les semaines
freq-monthly = Tous les mois
freq-yearly = Tous les ans
repeat-interval = Tous les combien (1 : chaque)
repeat-on-days = Ces jours-là
repeat-monthly-by = Dans le mois
repeat-by-date = À la même date
repeat-by-weekday = Le même jour de la semaine (par exemple le deuxième mardi)
repeat-until-label = Jusqu’au (facultatif)
repeat-count-label = Ou ce nombre de fois (facultatif)
weekday-monday = lundi
weekday-tuesday = mardi
weekday-wednesday = mercredi
weekday-thursday = jeudi
weekday-friday = vendredi
weekday-saturday = samedi
weekday-sunday = dimanche
repeat-rank-1 = premier
repeat-rank-2 = deuxième
repeat-rank-3 = troisième
repeat-rank-4 = quatrième
repeat-rank-last = dernier
repeat-daily-sentence = { $n ->
    [one] Tous les jours
   *[other] Tous les { $n } jours
} à { $time }
repeat-weekly-sentence = { $n ->
    [one] Toutes les semaines
   *[other] Toutes les { $n } semaines
} le { $days } à { $time }
repeat-monthly-sentence = { $n ->
    [one] Tous les mois
   *[other] Tous les { $n } mois
} le { $day } à { $time }
repeat-monthly-weekday-sentence = { $n ->
    [one] Tous les mois
   *[other] Tous les { $n } mois
}, le { $rank } { $weekday } à { $time }
repeat-yearly-sentence = { $n ->
    [one] Tous les ans
   *[other] Tous les { $n } ans
} à { $time }
repeat-until = jusqu’au { $date }
repeat-times = , { $count ->
    [one] une fois
   *[other] { $count } fois
}
next-occurrences = Prochaines dates
changed = modifiée
cancel-occurrence = Annuler cette date
restore-occurrence = Rétablir cette date
change-occurrence = Modifier cette date
occurrence-blank-help = Un champ laissé vide reste celui de la série.
occurrence-scope = Quelles dates
occurrence-this = Cette date seulement
occurrence-following = Cette date et les suivantes
join-series = Venir à toutes les dates
leave-series = Quitter toutes les dates
reminder-body = Début : { $when }
reminders = Rappels
reminders-help = Avant les événements où vous allez, cet appareil vous le rappelle, même sans réseau. Rien de ces rappels ne quitte l’appareil.
reminders-on = Me le rappeler
remind-day-before = La veille
remind-hour-before = Une heure avant
remind-quarter-before = Un quart d’heure avant
remind-hour-and-day-before = Une heure avant et la veille
remind-me = Me rappeler cet événement
remind-as-settings = Comme dans les réglages
remind-never = Jamais
report = Signaler
report-reason = Pourquoi
reason-spam = Spam
reason-harassment = Harcèlement
reason-illegal = Contenu illégal
reason-other = Autre chose
report-details = Que doivent-ils savoir ? (facultatif)
report-to = L’envoyer à
report-to-moderators = La modération du groupe (chiffré de bout en bout)
report-to-admins = L’administration de votre serveur (qui voit qui signale)
send-report = Envoyer le signalement
report-sent-moderators = Envoyé { $count ->
    [one] à la personne qui modère le groupe
   *[other] aux { $count } personnes qui modèrent le groupe
}.
report-sent-admins = L’administration de votre serveur le recevra à votre prochaine synchronisation.
report-comment-by = Signaler le commentaire de { $name }
report-name = Signaler { $name }
comment-hidden = Ce commentaire est masqué.
moderation = Modération
reports = Signalements
no-reports = Aucun signalement.
reported-by = signalé par { $name }
ban = Bannir
ban-name = Bannir { $name }
bans = Personnes bannies
nobody-banned = Personne n’est banni.
lift-ban = Lever le bannissement
lift-ban-of = Lever le bannissement de { $name }
moderation-log = Journal de modération
nothing-yet = Rien pour l’instant.
mod-ban = a banni
mod-unban = a levé le bannissement de
mod-unlist-event = a retiré de la page du groupe
mod-list-event = a remis sur la page du groupe
mod-hide-comment = a masqué le commentaire
mod-show-comment = a rendu visible le commentaire
join-requests = Demandes pour rejoindre
approve = Accepter
approve-name = Accepter { $name }
decline = Refuser
decline-name = Refuser { $name }
mod-approve-member = a accepté
mod-decline-member = a refusé la demande de
ask-to-join = Demander à rejoindre
asked-to-join = Vous avez demandé à rejoindre : la modération du groupe répondra.
unlist-from-group = Le retirer de la page du groupe
list-in-group = Le remettre sur la page du groupe

pair-title = Appairer un appareil
pair-help = Quand des appareils ne se trouvent pas sur le réseau (iPhone, Wi-Fi d’hôtel), l’un affiche ce code et l’autre le scanne : ils se synchronisent alors directement.
pair-qr-label = Le QR code d’appairage de cet appareil
pair-show-text = Afficher le code en texte
pair-not-yet = Le code apparaît une fois la synchronisation lancée.
pair-with = Appairer un autre appareil
pair-scan = Scanner son QR code
pair-paste = Ou collez son code (rally://pair?…)
pair-button = Appairer
pair-dialling = { $count ->
    [one] Appairage : connexion à l’appareil par 1 adresse…
   *[other] Appairage : connexion à l’appareil par { $count } adresses…
}

server-rules = Les règles de ce serveur
server-contact = Ses admins

wipe-title = Effacer cet appareil
wipe-help = Si cet appareil risque d’être perdu ou saisi : toutes les clés sont détruites d’abord, puis chaque persona, groupe, événement et message qu’il contient. Vos groupes et événements continuent chez les autres membres.
wipe-button = Effacer cet appareil…
wipe-confirm-title = Tout effacer sur cet appareil ?
wipe-confirm-text = Chaque clé, persona, groupe, événement et message de cet appareil est détruit, définitivement, et Rally se ferme. Impossible d’annuler.
wipe-yes = Effacer maintenant
lock-title = Rally est verrouillé
lock-help = Les données de cet appareil sont scellées par une phrase secrète. Saisissez-la pour ouvrir Rally.
lock-passphrase = Phrase secrète
lock-open = Ouvrir
lock-opening = Ouverture…
lock-card-title = Verrouiller par une phrase secrète
lock-keeping-none = Les données de cet appareil ne sont pas chiffrées.
lock-keeping-keystore = Les données de cet appareil sont chiffrées ; leur clé est gardée dans { $keystore }.
lock-keeping-passphrase = Les données de cet appareil sont chiffrées et scellées par votre phrase secrète : Rally la demande au démarrage.
lock-keeping-file = Les données de cet appareil sont chiffrées, mais ce système n’a pas de trousseau : leur clé est posée à côté. Scellez-la par une phrase secrète.
lock-help-settings = Avec une phrase secrète, personne ne peut ouvrir Rally ni lire ses données sans elle, même en prenant l’appareil. Si vous l’oubliez, les données sont perdues (vos groupes et événements continuent chez les autres membres).
lock-new-passphrase = Nouvelle phrase secrète
lock-again = La phrase secrète, encore
lock-mismatch = Les deux phrases secrètes sont vides ou diffèrent.
lock-wipe-after = Effacer cet appareil après des phrases erronées
lock-wipe-never = Jamais
lock-wipe-count = Après { $count } phrases erronées d’affilée
lock-wipes-after = Des phrases erronées effacent cet appareil après { $count } d’affilée.
lock-duress = Phrase de contrainte (facultative)
lock-duress-help = Saisie à la place de votre phrase secrète, elle efface cet appareil et ouvre un Rally vide, comme sur un téléphone neuf.
lock-duress-set = Une phrase de contrainte est définie.
lock-save = Verrouiller par cette phrase
lock-set = Rally sera verrouillé par votre phrase secrète dès son prochain démarrage.
lock-remove = Retirer la phrase secrète
lock-removed = La phrase secrète est retirée ; la clé est de retour dans le trousseau du système.
lock-now = Verrouiller maintenant
lock-after-hidden = Verrouiller Rally après un passage en arrière-plan
lock-after-never = Jamais (seulement au démarrage)
lock-after-now = Tout de suite
lock-after-minutes = Après { $count ->
    [one] une minute
   *[other] { $count } minutes
}

## Disappearing messages
disappearing-messages = Messages éphémères
messages-disappear-after = Les messages envoyés maintenant disparaissent après { $time }, de l'appareil de chaque membre.
disappears-at = Disparaît à { $time }
one-hour = 1 heure
one-day = 1 jour
one-week = 1 semaine
off = Désactivés

## Less on the device
keep-title = Moins sur cet appareil
keep-help = Un téléphone saisi ou perdu ne livre que ce qu'il contient. Les événements anciens peuvent être oubliés ici ; les autres appareils et serveurs les gardent, et vous pouvez en récupérer un.
keep-events = Garder les événements
keep-all = Tous
# $count: how many months of events the device keeps.
keep-months-choice = { $count ->
    [one] Le dernier mois
   *[other] Les { $count } derniers mois
}
# $count: how many events this device forgot.
forgotten-count = { $count ->
    [one] Un événement ancien oublié.
   *[other] { $count } événements anciens oubliés.
}
# $date: when the forgotten event ended.
forgotten-ended = Un événement terminé { $date }
fetch-again = Récupérer
fetch-again-asked = Demandé : il revient à la prochaine synchronisation avec un appareil ou un serveur qui le garde.
# $count: how many older messages of this group the device forgot.
older-forgotten = { $count ->
    [one] Un message ancien n'est plus sur cet appareil.
   *[other] { $count } messages anciens ne sont plus sur cet appareil.
}
fetch-older = Récupérer les messages anciens
fetch-older-asked = Demandé : ils reviennent à la prochaine synchronisation avec un membre ou un serveur qui les garde.
