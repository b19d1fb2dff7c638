//! French and English. The system language is followed unless the person chose
//! one in the settings (kept in the webview's local storage).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Fr,
}

impl Lang {
    pub fn detect() -> Lang {
        let window = web_sys::window();
        let chosen = window
            .as_ref()
            .and_then(|w| w.local_storage().ok().flatten())
            .and_then(|s| s.get_item("lang").ok().flatten());
        let tag = chosen.or_else(|| window.and_then(|w| w.navigator().language()));
        match tag {
            Some(t) if t.starts_with("fr") => Lang::Fr,
            _ => Lang::En,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    pub fn remember(self) {
        if let Some(s) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            let _ = s.set_item("lang", self.code());
        }
    }
}

/// The text in `lang`; English is the key.
pub fn tr(lang: Lang, en: &'static str) -> &'static str {
    if lang == Lang::En {
        return en;
    }
    match en {
        "Events" => "Événements",
        "Groups" => "Groupes",
        "Personas" => "Identités",
        "Sync" => "Synchronisation",
        "Settings" => "Réglages",
        "Upcoming" => "À venir",
        "Mine" => "Les miens",
        "My groups" => "Mes groupes",
        "Followed" => "Suivis",
        "Follow" => "Suivre",
        "Unfollow" => "Ne plus suivre",
        "Remove" => "Retirer",
        "Role" => "Rôle",
        "Add a link" => "Ajouter un lien",
        "All" => "Tous",
        "Search events" => "Rechercher des événements",
        "New event" => "Nouvel événement",
        "No events here yet." => "Aucun événement ici pour l'instant.",
        "Discover" => "Découvrir",
        "No public events to discover yet. Sync with a server to get its public events." => {
            "Aucun événement public à découvrir pour l'instant. Synchronisez avec un serveur pour recevoir ses événements publics."
        }
        "Welcome to Rally" => "Bienvenue sur Rally",
        "Your events and groups stay on this device and sync with people nearby, with or without internet." => {
            "Vos événements et groupes restent sur cet appareil et se synchronisent avec les personnes autour de vous, avec ou sans internet."
        }
        "Choose a name for your first persona. You can create others later; nobody can link them." => {
            "Choisissez un nom pour votre première identité. Vous pourrez en créer d'autres ; personne ne pourra les relier."
        }
        "Name" => "Nom",
        "Create" => "Créer",
        "Title" => "Titre",
        "Description (Markdown)" => "Description (Markdown)",
        "Starts" => "Début",
        "Ends" => "Fin",
        "Time zone" => "Fuseau horaire",
        "Place" => "Lieu",
        "Address" => "Adresse",
        "Online link" => "Lien en ligne",
        "Visibility" => "Visibilité",
        "Public" => "Public",
        "Unlisted" => "Non listé",
        "Members only" => "Membres seulement",
        "Group" => "Groupe",
        "None" => "Aucun",
        "Save" => "Enregistrer",
        "Cancel" => "Annuler",
        "Back" => "Retour",
        "Edit" => "Modifier",
        "Cancel event" => "Annuler l'événement",
        "Join" => "Participer",
        "Leave" => "Ne plus participer",
        "You are" => "Vous êtes",
        "Add to calendar" => "Ajouter au calendrier",
        "Saved to" => "Enregistré dans",
        "Open map" => "Voir la carte",
        "From the Fediverse" => "Depuis le Fediverse",
        "In the event's time zone" => "Dans le fuseau de l'événement",
        "Organisers" => "Organisateurs",
        "Participants" => "Participants",
        "Comments" => "Commentaires",
        "Write a comment" => "Écrire un commentaire",
        "Comment" => "Commenter",
        "Reply" => "Répondre",
        "Replying to" => "En réponse à",
        "Members" => "Membres",
        "Links" => "Liens",
        "Chat" => "Discussion",
        "Only members can read this chat; it is end-to-end encrypted." => {
            "Seuls les membres peuvent lire cette discussion ; elle est chiffrée de bout en bout."
        }
        "Write a message" => "Écrire un message",
        "Send" => "Envoyer",
        "Invite" => "Inviter",
        "Share this token or QR code with the person you invite." => {
            "Partagez ce jeton ou ce code QR avec la personne invitée."
        }
        "Join a group with a token" => "Rejoindre un groupe avec un jeton",
        "Invitation token" => "Jeton d'invitation",
        "Create a group" => "Créer un groupe",
        "Summary" => "Résumé",
        "members" => "membres",
        "Switch" => "Utiliser",
        "Current" => "Actuelle",
        "New persona" => "Nouvelle identité",
        "in" => "dans",
        "no group" => "aucun groupe",
        "Running" => "En marche",
        "Stopped" => "À l'arrêt",
        "Listening on" => "À l'écoute sur",
        "Connected peers" => "Pairs connectés",
        "Nobody nearby right now." => "Personne à proximité pour l'instant.",
        "Last complete sync" => "Dernière synchronisation complète",
        "Documents on their way" => "Documents en cours de réception",
        "Server" => "Serveur",
        "Language" => "Langue",
        "Follow the system" => "Suivre le système",
        "Server address" => "Adresse du serveur",
        "Invitation code (if the server asks for one)" => {
            "Code d'invitation (si le serveur en demande un)"
        }
        "Saved." => "Enregistré.",
        "Joined." => "Inscrit·e.",
        "You will join as soon as the group reaches this device." => {
            "Vous rejoindrez le groupe dès qu'il arrivera sur cet appareil."
        }
        "cancelled" => "annulé",
        "going" => "participe",
        "pending" => "en attente",
        "never" => "jamais",
        "Loading…" => "Chargement…",
        other => other,
    }
}
