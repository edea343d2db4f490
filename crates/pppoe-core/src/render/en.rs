//! English.

use super::lexicon::Lexicon;

/// The English lexicon.
pub(crate) static EN: Lexicon = Lexicon {
    label_username: "Username",
    label_password: "Password",
    label_profile: "Profile",
    label_ip_address: "IP Address",
    label_customer: "Customer",
    label_customer_info: "Customer Info",
    label_created_at: "Created At",
    label_field: "Field",
    label_new_value: "New Value",
    label_updated_at: "Updated At",
    label_reason: "Reason",
    label_deleted_at: "Deleted At",
    label_restarted_at: "Restarted At",
    label_active_session: "Active Session",
    label_status: "Status",
    label_connection: "Connection",
    label_next_steps: "Next Steps",
    label_example: "Example",

    dynamic: "Dynamic",
    no_static_ip: "dynamic",
    enabled: "Enabled",
    disabled: "Disabled",
    connected: "Connected",
    disconnected: "Disconnected",
    session_dropped: "disconnected",
    user_deleted: "the user is deleted",
    user_disabled: "the user is disabled",
    kick_failed: |done, username| {
        format!(
            "NOT disconnected: {done}, but its connection is still up. Run restartpppoe {username} or check the router."
        )
    },
    kick_unconfirmed: |done, username| {
        format!(
            "disconnect not confirmed: {done}, but the router did not answer when its connection was dropped. Run restartpppoe {username} to make sure."
        )
    },

    title_added: "PPPoE USER ADDED",
    title_edited: "PPPoE USER UPDATED",
    title_delete_confirmation: "DELETE CONFIRMATION",
    title_deleted: "PPPoE USER DELETED",
    title_restarted: "PPPoE CONNECTION RESTARTED",
    title_not_connected: "USER NOT CONNECTED",

    delete_question: |name| format!("Are you sure you want to delete PPPoE user \"{name}\"?"),
    resend_with_reason: "Send it again with a reason to confirm",
    arg_deletion_reason: "deletion_reason",
    example_reason: "Customer moved away",
    reply_within: |minutes| format!("To delete, reply within {minutes} minutes"),

    not_connected: |username| {
        format!("User \"{username}\" is not connected, there is no connection to restart.")
    },
    check_status: "Check the status",

    steps_added: &[
        "Set the username & password on the customer's ONU",
        "Test the PPPoE connection",
        "Verify the speed matches the profile",
        "Update the trouble report, if any",
    ],
    steps_edit_profile: &[
        "Restart the PPPoE connection on the ONU",
        "Test the speed of the new profile",
        "Verify the bandwidth matches the package",
    ],
    steps_edit_password: &[
        "Change the password on the customer's ONU",
        "Restart the PPPoE connection on the ONU",
        "Test the PPPoE connection",
    ],
    steps_edit_ip: &[
        "Restart the PPPoE connection so that the new IP is used",
        "Verify the IP with checkpppoe",
    ],
    steps_edit_status: &[
        "Verify the status with checkpppoe",
        "Update the trouble report, if any",
    ],
    steps_edit_info: &["Verify the information with checkpppoe"],
    steps_deleted: &[
        "Remove the PPPoE settings from the ONU",
        "Make sure no connection is active",
        "Update the trouble report, if any",
        "Record the reason for the audit",
    ],
    steps_restarted: &[
        "Wait 30-60 seconds for the connection to settle",
        "Test the internet connection",
        "Verify the speed matches the profile",
        "Update the trouble report, if any",
    ],
};
