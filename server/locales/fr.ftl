# Les pages publiques du serveur, en français. Chaque message existe aussi dans en.ftl.

nav-label = Site
nav-events = Événements
nav-about = À propos
language-label = Langue
skip-to-content = Aller au contenu

home-title = Événements à venir sur { $host }
listing-title = Événements à venir sur { $host }
listing-none = Aucun événement à venir trouvé.
listing-from = (depuis { $host })
search-label = Chercher des événements
search-words = Mots
search-tag = Étiquette
search-from = Du
search-to = Au
search-near = Près de (ville)
search-km = Dans un rayon de (km)
search-submit = Chercher
search-near-unknown = Aucune ville nommée « { $place } » n’est connue ici ; voici les événements de partout.
search-near-showing = À moins de { $km } km de { $place }.
pages-label = Pages
pager-earlier = Plus tôt
pager-later = Plus tard
subscribe = S’abonner :
feed-calendar = agenda
feed-news = fil d’actualité

when-at = { $day } à { $time }
when-cancelled = Annulé
when-in-zone = (heure de { $zone })
when-yours = Heure de { $zone } : { $when }
tz-label = Voir l’heure dans un autre fuseau
tz-submit = Voir
tz-unknown = « { $zone } » n’est pas un fuseau horaire connu de ce serveur.

going = { $count ->
    [one] 1 participant
   *[other] { $count } participants
}
event-organised-by = Organisé par { $group }
event-add-calendar = Ajouter à l’agenda
event-open-app = Ouvrir dans l’application Rally
event-map = Carte
event-place = Lieu
event-comments = Commentaires
event-no-comments = Pas encore de commentaire.
event-comment-by = { $name } a écrit :
event-comment-hidden = Un commentaire masqué par les organisateurs.
event-join-heading = Participer depuis votre compte du Fédivers
event-join-help = Les comptes Mastodon, Mobilizon et des autres serveurs du Fédivers peuvent participer à cet événement et suivre ses commentaires depuis leur propre serveur.
interact-handle = Votre adresse, comme @vous@exemple.social
interact-submit = Continuer sur mon serveur
interact-bad-handle = « { $handle } » n’est pas une adresse du Fédivers : écrivez-la sous la forme @nom@serveur.
interact-not-found = { $host } n’a pas indiqué comment interagir avec des événements depuis chez lui.
interact-title = Participer depuis votre compte du Fédivers
interact-back = Retour à la page

group-members = { $count ->
    [one] 1 membre
   *[other] { $count } membres
}
group-links = Liens
group-upcoming = Événements à venir
group-past = Événements passés
group-no-upcoming = Aucun événement à venir.
group-follow-heading = Suivre depuis votre compte du Fédivers
group-follow-help = Suivez { $handle } depuis Mastodon, Mobilizon ou un autre serveur du Fédivers pour y voir ses événements.
group-embed = Afficher ces événements sur votre propre site :
group-embed-none = { $name } : aucun événement à venir.

about-title = À propos de { $host }
about-intro = Ce serveur Rally garde les événements et les groupes des personnes qui se synchronisent avec lui, pour que leurs appareils s’y retrouvent même s’ils ne sont jamais en ligne en même temps. Il ne garde que ce qu’elles partagent, et ne montre à personne ce qu’elle n’a pas le droit de lire.
about-rules = Règles
about-no-rules = Les administrateurs n’ont pas écrit de règles pour ce serveur.
about-contact = Contact
about-admins = Administration
about-no-contact = Les administrateurs n’ont pas donné de contact.
about-registrations = Inscriptions
about-registrations-open = Tout le monde peut s’inscrire : se synchroniser avec ce serveur inscrit votre persona.
about-registrations-invite = Les inscriptions se font sur invitation : demandez un code aux administrateurs et passez-le avec --invite.
about-registrations-closed = Les inscriptions sont fermées.
about-sync = S’y synchroniser
about-addresses = Adresses
about-federation = Fédération
about-federates = Ce serveur partage ses événements et groupes publics avec le Fédivers (Mobilizon, Mastodon, Gancio et d’autres) en tant que { $actor }.
about-no-federation = Ce serveur ne se fédère pas.
about-software = Fonctionne avec rally-server { $version }.

not-found-title = Introuvable
event-next-dates = Prochaines dates
